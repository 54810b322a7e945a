"""Channel adapters: each turns its platform's updates into events and renders outbound rows."""

"""Reports for managers: what the bot achieved in a period, and whom to call first."""

"""Understanding free text from debtors (pt_BR first; en and es basic)."""

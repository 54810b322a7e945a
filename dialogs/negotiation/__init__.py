"""Negotiation: the creditor's policy, what a debt costs today, and what we may offer.

Pure functions over a validated `Policy`; the runtime reads the policy file and passes `today`.
"""

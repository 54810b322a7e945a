"""The reminder cadence ("régua de cobrança"): what the bot may write first, and when.

`planner` turns the policy's steps into durable jobs for a day (set-based SQL); `rules`
decides, when a job comes due, whether it goes now, later or never (contact windows,
holidays, caps, opt-out, pauses, payments); `preview` shows a day without sending;
`schedule` lists one debtor's upcoming and past reminders for the console.
"""

"""Answer composition: pick the smallest quotable unit that answers, extract and highlight the answer."""

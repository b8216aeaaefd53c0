"""Risk: how the fired rules and the features become a score, a severity and a rank."""

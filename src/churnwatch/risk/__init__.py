"""Risk: the probability of no order within the horizon, from the features and the fired rules,
fitted on the export's own history; severity bands and the ranking follow from it."""

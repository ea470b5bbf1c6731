"""The year simulated (`lift simulate`): requests arrive week by week, meetings decide, the product's own
planners (or the way it is done by hand, or the limit knowing the future) plan, and support starts."""

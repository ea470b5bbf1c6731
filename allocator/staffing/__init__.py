"""The staffing formula: apportionment, the formula, what-ifs, the check."""

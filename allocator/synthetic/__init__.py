"""The synthetic county generator and the Kent facts it starts from."""

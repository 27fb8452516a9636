"""Intake: files handed in, checked against the data folder, filed, and answered."""

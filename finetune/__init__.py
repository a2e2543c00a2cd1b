"""Reproducible training of the dialogue LLM and the scorer, with their data builders and evaluation."""

"""The public dataset toolkit: what a dataset plugin needs to read standard file formats, split
items and find, check and fetch the files its ``datasets.csv`` table names.

The built-in dataset plugins use exactly this API; a third-party plugin imports it the same way.
"""

"""Shared UI building blocks: the wall theme (colours, level marks), figure builders and the Kaifeng map.

Pages import from here so a colour or a level label is defined once; nothing in this package queries the
warehouse — figure builders take the DataFrames that data_access query functions return.
"""

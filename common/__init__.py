"""Helpers that several apps use: the public page cache and its purges, rate
limits, the client's address, absolute addresses, page metadata, rich-text
cleaning, file names in storage, safe CSV cells. Depends on no app of this
project; the apps depend on it."""

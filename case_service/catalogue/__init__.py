"""The item catalogue (事项清单): import of seed 003's 75 items, versions, search."""

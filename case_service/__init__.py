"""The central system of record: the item catalogue and every case from submission to delivery."""

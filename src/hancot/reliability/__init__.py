"""Fault injection for device stores: kill a device's process mid-write and check what survives
(docs/reliability.md)."""

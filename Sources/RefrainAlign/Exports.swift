// Every module re-exports RefrainMath, so `Matrix`, `.npy` I/O and `RefrainError` come with it.
@_exported import RefrainMath

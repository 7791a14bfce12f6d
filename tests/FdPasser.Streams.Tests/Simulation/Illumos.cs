// The target the simulation plays: its generated constants and layouts, as the transport under test reads them.
global using Illumos = FdPasser.Interop.IllumosX64.Abi;

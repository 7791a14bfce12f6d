// The tests drive Unix sockets, signals and file modes: they run on Unix only.
[assembly: System.Runtime.Versioning.UnsupportedOSPlatform("windows")]

// The tests drive Unix sockets and signals: they run on Unix only.
[assembly: System.Runtime.Versioning.UnsupportedOSPlatform("windows")]

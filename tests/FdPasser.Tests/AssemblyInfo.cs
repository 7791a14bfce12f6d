// Tests count this process's open descriptors and check that numbers were closed: a test running beside them
// would open and close descriptors of its own and make those counts meaningless.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

// The tests read /proc and file modes: they run on Linux.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

// Descriptors the runtime opens at the first caught exception are open before any test counts descriptors.
[assembly: AssemblyFixture(typeof(FdPasser.Tests.Support.FirstException))]

namespace FdPasser.AspNetCore.Tests;

/// <summary>Tests that start the sample run one after another: each starts .NET processes on a small machine.</summary>
[CollectionDefinition("processes", DisableParallelization = true)]
public sealed class ProcessCollection
{
}

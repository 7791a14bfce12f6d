namespace FdPasser.Cli.Tests.Hold;

/// <summary>The fdpass hold tests run one after another: each runs a load and times readiness, on a small machine.</summary>
[CollectionDefinition("fdpass hold", DisableParallelization = true)]
public sealed class HoldCollection
{
}

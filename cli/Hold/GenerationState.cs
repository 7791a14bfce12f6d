namespace FdPasser.Cli.Hold;

/// <summary>Where a generation is in its life.</summary>
internal enum GenerationState
{
    /// <summary>Started; has not said READY=1 yet.</summary>
    Starting,

    /// <summary>Said READY=1 and is the one serving.</summary>
    Ready,

    /// <summary>Replaced by a newer ready generation: sent SIGTERM, finishing what it has.</summary>
    Draining,

    /// <summary>Exited before READY=1 or was not ready in time: killed, the previous one keeps serving.</summary>
    RolledBack,

    /// <summary>Told to stop because fdpass hold itself stops.</summary>
    Stopping,
}

using System;

namespace FdPasser;

/// <summary>Seals on a memory file (Linux <c>F_ADD_SEALS</c>): once set, no descriptor to it can undo them.</summary>
[Flags]
public enum MemorySeals
{
    /// <summary>No seal.</summary>
    None = 0,

    /// <summary>F_SEAL_SEAL: no further seals can be added.</summary>
    Seal = 1,

    /// <summary>F_SEAL_SHRINK: the file cannot get smaller.</summary>
    Shrink = 2,

    /// <summary>F_SEAL_GROW: the file cannot get larger.</summary>
    Grow = 4,

    /// <summary>F_SEAL_WRITE: the contents cannot change.</summary>
    Write = 8,
}

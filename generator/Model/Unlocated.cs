using System.Collections.Immutable;
using System.Linq;

namespace FdPasser.Generator.Model;

/// <summary>
/// A target with every source location cleared. Emitters read facts, never lines, so the emit steps take this form:
/// an edit that only moves lines (a comment added or reworded) then leaves their input equal and their output cached.
/// </summary>
internal static class Unlocated
{
    public static AbiTarget Of(AbiTarget t) => t with
    {
        Libraries = t.Libraries.Select(l => l with { Source = SourceLine.FileStart }).ToImmutableArray(),
        Structs = t.Structs.Select(s => s with
        {
            Source = SourceLine.FileStart,
            Fields = s.Fields.Select(f => f with { Source = SourceLine.FileStart }).ToImmutableArray(),
        }).ToImmutableArray(),
        Constants = t.Constants.Select(c => c with { Source = SourceLine.FileStart }).ToImmutableArray(),
        Errnos = t.Errnos.Select(e => e with { Source = SourceLine.FileStart }).ToImmutableArray(),
        Functions = t.Functions.Select(f => f with { Source = SourceLine.FileStart }).ToImmutableArray(),
        Paths = t.Paths.Select(p => p with { Source = SourceLine.FileStart }).ToImmutableArray(),
    };
}

namespace FdPasser.Generator.Model;

/// <summary>
/// Where a fact stands in its ABI file, kept as plain values so the model stays equatable: the 0-based line and
/// column, and the character span of the line's content.
/// </summary>
internal sealed record SourceLine(int Line, int Column, int Start, int Length)
{
    /// <summary>The start of the file: where a problem with no line of its own (a missing header line) is reported.</summary>
    public static readonly SourceLine FileStart = new(0, 0, 0, 0);
}

/// <summary>A type as written in an ABI file: a primitive or struct name, an optional array length, an optional pointer.</summary>
internal sealed record TypeRef(string Name, int ArrayLength, bool IsPointer)
{
    /// <summary>The return type of a function that returns nothing.</summary>
    public static readonly TypeRef Void = new("void", 0, false);

    public bool IsVoid => Name == Void.Name;

    /// <summary>Whether a value of this type is an address (a pointer, or the <c>ptr</c> primitive) rather than a number.</summary>
    public bool IsAddress => IsPointer || Name == "ptr";

    public override string ToString() => Name + (IsPointer ? "*" : "") + (ArrayLength > 0 ? $"[{ArrayLength}]" : "");
}

internal sealed record FieldDef(string Name, int Offset, TypeRef Type, int Size, SourceLine Source);

internal sealed record StructDef(string Name, int Size, EquatableArray<FieldDef> Fields, SourceLine Source);

/// <summary>A constant; <see cref="Value"/> is null where the target lacks it (<c>const NAME none</c>).</summary>
internal sealed record ConstDef(string Name, long? Value, SourceLine Source);

internal sealed record ErrnoDef(string Name, int Value, SourceLine Source);

/// <summary>
/// A path the runtime reads on this target (<c>path NAME VALUE</c>), such as a procfs file; <see cref="Value"/> is
/// null where the target has no such file (<c>path NAME none</c>). <c>{pid}</c> and <c>{fd}</c> stand for numbers.
/// </summary>
internal sealed record PathDef(string Name, string? Value, SourceLine Source);

internal sealed record ParamDef(string Name, TypeRef Type, bool IsVariadic);

internal sealed record FunctionDef(
    string Name,
    EquatableArray<ParamDef> Parameters,
    TypeRef ReturnType,
    string Library,
    string EntryPoint,
    SourceLine Source);

internal sealed record LibraryDef(string Alias, string SoName, SourceLine Source)
{
    /// <summary>The alias of the C library: every target declares it, and a function names no other by default.</summary>
    public const string CLibrary = "libc";
}

/// <summary>
/// What a target does that the runtime must know but no constant or struct says: its transports and the
/// per-target behaviour header lines (abi/README.md).
/// </summary>
/// <param name="Sockets">Descriptors pass over Unix sockets (<c>transports socket</c>).</param>
/// <param name="Streams">Descriptors pass over STREAMS pipes (<c>transports … streams</c>).</param>
/// <param name="AbstractSocketNames">Unix sockets may be bound to abstract names (<c>abstract-names yes</c>).</param>
/// <param name="CmsgLenTrustedAfterCtrunc">After MSG_CTRUNC, cmsg_len covers only what was delivered (<c>cmsg-len-after-ctrunc trusted</c>).</param>
internal sealed record TargetBehaviour(bool Sockets, bool Streams, bool AbstractSocketNames, bool CmsgLenTrustedAfterCtrunc);

/// <summary>Everything one ABI file says about one target.</summary>
internal sealed record AbiTarget(
    string FilePath,
    string Rid,
    TargetOs Os,
    TargetArch Arch,
    TargetLibc Libc,
    int PointerSize,
    int CmsgAlign,
    int MaxFds,
    int MaxFdsReceived,
    PeerCredMethod PeerCred,
    bool VariadicOnStack,
    TargetBehaviour Behaviour,
    EquatableArray<LibraryDef> Libraries,
    EquatableArray<StructDef> Structs,
    EquatableArray<ConstDef> Constants,
    EquatableArray<ErrnoDef> Errnos,
    EquatableArray<FunctionDef> Functions,
    EquatableArray<PathDef> Paths)
{
    /// <summary>The C# identifier of the target: <c>linux-musl-x64</c> becomes <c>LinuxMuslX64</c>.</summary>
    public string ClassName => Naming.ClassNameForRid(Rid);

    public StructDef? FindStruct(string name)
    {
        foreach (StructDef s in Structs)
        {
            if (s.Name == name)
            {
                return s;
            }
        }
        return null;
    }

    public ConstDef? FindConst(string name)
    {
        foreach (ConstDef c in Constants)
        {
            if (c.Name == name)
            {
                return c;
            }
        }
        return null;
    }

    public PathDef? FindPath(string name)
    {
        foreach (PathDef p in Paths)
        {
            if (p.Name == name)
            {
                return p;
            }
        }
        return null;
    }

    public FunctionDef? FindFunction(string name)
    {
        foreach (FunctionDef f in Functions)
        {
            if (f.Name == name)
            {
                return f;
            }
        }
        return null;
    }

    public LibraryDef? FindLibrary(string alias)
    {
        foreach (LibraryDef l in Libraries)
        {
            if (l.Alias == alias)
            {
                return l;
            }
        }
        return null;
    }
}

/// <summary>A problem found in an ABI file, as plain values; turned into a <c>Diagnostic</c> at report time.</summary>
internal sealed record AbiDiagnostic(string Id, string Message, string FilePath, SourceLine Where);

/// <summary>
/// What reading one ABI file gave: the target as far as it could be read (null only where the file could not be
/// read at all), the line problems with its headers are reported at, and the problems reading found.
/// </summary>
internal sealed record AbiParseResult(AbiTarget? Target, SourceLine TargetLine, EquatableArray<AbiDiagnostic> Diagnostics);

/// <summary>
/// What validation made of a parsed file: every problem found by reading and validating it, and the target only where
/// there is none, stripped of source locations so an edit that moves lines but changes no fact leaves it equal.
/// </summary>
internal sealed record ValidatedAbi(AbiTarget? Target, EquatableArray<AbiDiagnostic> Diagnostics);

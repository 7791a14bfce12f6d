using System.Linq;
using System.Text;
using FdPasser.Generator.Validation;

namespace FdPasser.Generator.Emit;

/// <summary>
/// Emits the contract every target implements: <c>IPlatformAbi</c>, a static-abstract interface the runtime is
/// written against once (<c>BsdTransport&lt;TAbi&gt;</c>), so each target's code is a specialization the JIT and
/// NativeAOT compile without indirection. Emitted at post-initialization, so other generators and the runtime see it.
/// </summary>
internal static class ContractEmitter
{
    public const string FileName = "FdPasser.Interop.IPlatformAbi.g.cs";

    public static string Emit()
    {
        var sb = new StringBuilder();
        Header.Write(sb, "its built-in contract (generator/Model/Requirements.cs)");
        sb.Append("namespace ").Append(TargetEmitter.Namespace).Append(";\n\n");
        sb.Append("/// <summary>How a target reads a connected socket's peer credentials.</summary>\n");
        sb.Append("internal enum PeerCredentialMethod\n{\n    SoPeerCred,\n    LocalPeerCred,\n    GetPeerUcred,\n}\n\n");
        sb.Append(TargetTypes);
        EmitConstantsClass(sb);
        sb.Append("/// <summary>One target's ABI as the runtime sees it; implemented by each target's generated <c>Abi</c> struct.</summary>\n");
        sb.Append("internal unsafe interface IPlatformAbi\n{\n");
        Member(sb, "string Rid { get; }");
        Member(sb, "int MaxFdsPerMessage { get; }");
        Member(sb, "int MaxFdsReceived { get; }");
        Member(sb, "PeerCredentialMethod PeerCredentials { get; }");
        Member(sb, "bool AbstractSocketNames { get; }");
        Member(sb, "bool CmsgLenTrustedAfterCtrunc { get; }");
        Member(sb, "PlatformConstants Constants { get; }");
        sb.Append('\n');
        foreach (string c in Requirements.Constants.Concat(Requirements.OptionalConstants))
        {
            Member(sb, "int " + c + " { get; }");
            if (!Requirements.ConstantsWithValue.Contains(c))
            {
                Member(sb, "bool Has_" + c + " { get; }");
            }
        }
        sb.Append('\n');
        foreach (string e in Requirements.Errnos.Concat(Requirements.OptionalErrnos))
        {
            Member(sb, "int " + e + " { get; }");
        }
        Member(sb, "string? ErrnoName(int errno);");
        sb.Append('\n');
        foreach (string p in Requirements.Paths)
        {
            Member(sb, "string? " + p + " { get; }");
        }
        sb.Append('\n');
        foreach (string line in LayoutMembers)
        {
            Member(sb, line);
        }
        sb.Append('\n');
        foreach (CanonicalFunction f in Requirements.Functions)
        {
            Member(sb, Signature(f) + ";");
        }
        foreach (CanonicalFunction f in Requirements.OptionalFunctions)
        {
            Member(sb, "bool Has_" + f.Name + " { get; }");
            Member(sb, Signature(f) + ";");
        }
        sb.Append("}\n");
        return sb.ToString();
    }

    /// <summary>The types of the generated target table (<c>AbiTargets</c>, emitted by <see cref="TableEmitter"/>).</summary>
    private const string TargetTypes = """
        /// <summary>
        /// One ABI file's target as the selection sees it: the words of its header lines (abi/README.md).
        /// </summary>
        /// <param name="Rid">The .NET runtime identifier, which names the file.</param>
        /// <param name="Os">The operating system's ABI name (<c>linux</c>, <c>osx</c>, …).</param>
        /// <param name="Architecture">The process architecture.</param>
        /// <param name="Libc">The C library's ABI name (<c>glibc</c>, <c>musl</c>, <c>system</c>).</param>
        /// <param name="LibcLibrary">The file name the target loads its C library by.</param>
        /// <param name="Sockets">Descriptors pass over Unix sockets.</param>
        /// <param name="Streams">Descriptors pass over STREAMS pipes.</param>
        internal sealed record AbiTargetInfo(
            string Rid,
            string Os,
            global::System.Runtime.InteropServices.Architecture Architecture,
            string Libc,
            string LibcLibrary,
            bool Sockets,
            bool Streams);

        /// <summary>
        /// Builds one thing per target from its generated ABI; <c>AbiTargets.ForSocketTarget</c> holds the table of
        /// targets once for every such thing. Not generic over the result: NativeAOT's scanner cannot lay out a
        /// generic interface whose static abstract method is generic too.
        /// </summary>
        internal interface ITargetFactory
        {
            static abstract object Create<TAbi>() where TAbi : struct, IPlatformAbi;
        }


        """;
    /// <summary>
    /// The constants and errno values of <c>IPlatformAbi</c> as one object per target, for code that is not generic
    /// over the target (the cli, <c>FdHandles</c>): it reads them from the selected target's <c>Abi.Constants</c>,
    /// which each target builds with <c>PlatformConstants.Of&lt;Abi&gt;()</c>, written here once.
    /// </summary>
    private static void EmitConstantsClass(StringBuilder sb)
    {
        string[] names = Requirements.Constants.Concat(Requirements.OptionalConstants)
            .Concat(Requirements.Errnos.Concat(Requirements.OptionalErrnos)).ToArray();
        sb.Append("/// <summary>\n");
        sb.Append("/// One target's constants and errno values as values (0 for a constant the target lacks, -1 for an errno): each\n");
        sb.Append("/// target's <c>Abi.Constants</c>, for code not generic over the target.\n");
        sb.Append("/// </summary>\n");
        sb.Append("internal sealed class PlatformConstants\n{\n");
        Property(sb, "string", "Rid");
        foreach (string p in Requirements.Paths)
        {
            Property(sb, "string?", p);
        }
        foreach (string name in names)
        {
            Property(sb, "int", name);
        }
        sb.Append("\n    /// <summary>The values of target <typeparamref name=\"TAbi\"/>.</summary>\n");
        sb.Append("    public static PlatformConstants Of<TAbi>() where TAbi : IPlatformAbi => new()\n    {\n");
        sb.Append("        Rid = TAbi.Rid,\n");
        foreach (string p in Requirements.Paths)
        {
            sb.Append("        ").Append(p).Append(" = TAbi.").Append(p).Append(",\n");
        }
        foreach (string name in names)
        {
            sb.Append("        ").Append(name).Append(" = TAbi.").Append(name).Append(",\n");
        }
        sb.Append("    };\n");
        sb.Append("}\n\n");
    }

    private static void Property(StringBuilder sb, string type, string name) =>
        sb.Append("    public required ").Append(type).Append(' ').Append(name).Append(" { get; init; }\n");

    internal static readonly string[] LayoutMembers =
    {
        "int MsghdrSize { get; }",
        "void MsghdrInit(void* msg, void* iov, int iovCount, void* control, nuint controlLength);",
        "nuint MsghdrControlLength(void* msg);",
        "int MsghdrFlags(void* msg);",
        "int IovecSize { get; }",
        "void IovecSet(void* iov, void* buffer, nuint length);",
        "int CmsgHeaderSize { get; }",
        "int CmsgHeaderSpace { get; }",
        "nuint CmsgAlign(nuint length);",
        "nuint CmsgLen(nuint length);",
        "nuint CmsgSpace(nuint length);",
        "void CmsgRead(void* cmsg, out nuint length, out int level, out int type);",
        "void CmsgWrite(void* cmsg, nuint length, int level, int type);",
        "int SockaddrUnSize { get; }",
        "int SunPathOffset { get; }",
        "int SunPathCapacity { get; }",
        "void SockaddrUnInit(void* address, uint addressLength);",
        "int PollfdSize { get; }",
        "void PollfdInit(void* pollfd, int fd, short events);",
        "short PollfdRevents(void* pollfd);",
        "int StatSize { get; }",
        "uint StatMode(void* stat);",
        "ulong StatDevice(void* stat);",
        "ulong StatInode(void* stat);",
        "uint StatOwner(void* stat);",
        "int PeerCredSize { get; }",
        "void PeerCredRead(void* buffer, out int pid, out uint uid, out uint gid);",
        "int StrrecvfdSize { get; }",
        "void StrrecvfdRead(void* strrecvfd, out int fd, out uint uid, out uint gid);",
        "int StrbufSize { get; }",
        "void StrbufInit(void* strbuf, int maxLength, int length, void* buffer);",
        "int StrbufLength(void* strbuf);",
        // Opaque types of the process and service-manager paths: 0 where the target does not declare them.
        "int PosixSpawnFileActionsSize { get; }",
        "int PosixSpawnattrSize { get; }",
        "int SigsetSize { get; }",
        "int SiginfoSize { get; }",
        // struct sched_param (sched_setscheduler): 0 where undeclared; zero-filled it is priority 0, which SCHED_OTHER, SCHED_BATCH and SCHED_IDLE take.
        "int SchedParamSize { get; }",
        "int TimespecSize { get; }",
        "void TimespecRead(void* timespec, out long seconds, out long nanoseconds);",
        "int PasswdSize { get; }",
        "uint PasswdUid(void* passwd);",
        "bool Has_OpenHow { get; }",
        "int OpenHowSize { get; }",
        "void OpenHowInit(void* how, ulong flags, ulong mode, ulong resolve);",
        // getrlimit's struct: 0 where the target does not declare it; limits as unsigned numbers of the field's width.
        "int RlimitSize { get; }",
        "void RlimitRead(void* rlimit, out ulong soft, out ulong hard);",
    };

    internal static string Signature(CanonicalFunction f) =>
        f.ReturnType + " " + f.Name + "(" +
        string.Join(", ", f.ParameterTypes.Select((t, i) => t + " a" + i.ToString(System.Globalization.CultureInfo.InvariantCulture))) + ")";

    private static void Member(StringBuilder sb, string declaration) =>
        sb.Append("    static abstract ").Append(declaration).Append('\n');
}

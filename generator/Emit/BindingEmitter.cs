using System.Collections.Generic;
using System.Linq;
using System.Text;
using FdPasser.Generator.Model;
using FdPasser.Generator.Validation;

namespace FdPasser.Generator.Emit;

/// <summary>
/// Emits a target's <c>Abi</c> struct: the implementation of <c>IPlatformAbi</c> over that target's raw structs,
/// constants and stubs. Field writes cast to the target's field types, so the runtime never sees them.
/// </summary>
internal static class BindingEmitter
{
    public static string Emit(AbiTarget t)
    {
        string cls = t.ClassName;
        var sb = new StringBuilder();
        sb.Append("\ninternal static unsafe partial class ").Append(cls).Append("\n{\n");
        sb.Append("    /// <summary>The runtime's view of ").Append(t.Rid).Append(".</summary>\n");
        sb.Append("    internal readonly struct Abi : global::").Append(TargetEmitter.Namespace).Append(".IPlatformAbi\n    {\n");
        Line(sb, $"public static string Rid => {cls}.Rid;");
        Line(sb, $"public static int MaxFdsPerMessage => {cls}.MaxFdsPerMessage;");
        Line(sb, $"public static int MaxFdsReceived => {cls}.MaxFdsReceived;");
        Line(sb, $"public static bool AbstractSocketNames => {cls}.AbstractSocketNames;");
        Line(sb, $"public static bool CmsgLenTrustedAfterCtrunc => {cls}.CmsgLenTrustedAfterCtrunc;");
        string method = t.PeerCred switch
        {
            PeerCredMethod.SoPeercred => "SoPeerCred",
            PeerCredMethod.LocalPeercred => "LocalPeerCred",
            _ => "GetPeerUcred",
        };
        Line(sb, $"public static global::{TargetEmitter.Namespace}.PeerCredentialMethod PeerCredentials => global::{TargetEmitter.Namespace}.PeerCredentialMethod.{method};");
        EmitConstants(sb, t);
        EmitLayouts(sb, t);
        EmitFunctions(sb, t);
        sb.Append("    }\n}\n");
        return sb.ToString();
    }

    private static void Line(StringBuilder sb, string text) => sb.Append("        ").Append(text).Append('\n');

    private static void EmitConstants(StringBuilder sb, AbiTarget t)
    {
        string cls = t.ClassName;
        sb.Append('\n');
        foreach (string name in Requirements.Constants.Concat(Requirements.OptionalConstants))
        {
            ConstDef? c = t.FindConst(name);
            bool has = c?.Value is not null;
            Line(sb, $"public static int {name} => {(has ? $"unchecked((int){cls}.{name})" : "0")};");
            if (!Requirements.ConstantsWithValue.Contains(name))
            {
                Line(sb, $"public static bool Has_{name} => {(has ? "true" : "false")};");
            }
        }
        sb.Append('\n');
        foreach (string name in Requirements.Errnos.Concat(Requirements.OptionalErrnos))
        {
            bool has = t.Errnos.Any(e => e.Name == name);
            Line(sb, $"public static int {name} => {(has ? $"{cls}.Errno.{name}" : "-1")};");
        }
        Line(sb, $"public static string? ErrnoName(int errno) => {cls}.Errno.Name(errno);");
        sb.Append('\n');
        foreach (string name in Requirements.Paths)
        {
            // Validation allows only path characters in a value, so it needs no escaping.
            string? value = t.FindPath(name)?.Value;
            Line(sb, $"public static string? {name} => {(value is null ? "null" : "\"" + value + "\"")};");
        }
        EmitConstantValues(sb);
    }

    /// <summary>
    /// <c>Abi.Constants</c>: the same values as one object, built on first use in a class of its own, so code
    /// that reads <c>TAbi.X</c> never waits on its initializer.
    /// </summary>
    private static void EmitConstantValues(StringBuilder sb)
    {
        string type = $"global::{TargetEmitter.Namespace}.PlatformConstants";
        Line(sb, $"public static {type} Constants => ConstantValues.Instance;");
        Line(sb, "private static class ConstantValues");
        Line(sb, "{");
        Line(sb, $"    public static readonly {type} Instance = {type}.Of<Abi>();");
        Line(sb, "}");
    }

    private static string FieldType(StructDef s, string field) =>
        Requirements.CSharpPrimitive(s.Fields.First(f => f.Name == field).Type.Name)!;

    private static void EmitLayouts(StringBuilder sb, AbiTarget t)
    {
        string cls = t.ClassName;
        StructDef msghdr = t.FindStruct("msghdr")!, iovec = t.FindStruct("iovec")!, cmsghdr = t.FindStruct("cmsghdr")!;
        StructDef sun = t.FindStruct("sockaddr_un")!, pollfd = t.FindStruct("pollfd")!, stat = t.FindStruct("stat")!;
        sb.Append('\n');
        Line(sb, $"public static int MsghdrSize => {msghdr.Size};");
        Line(sb, "public static void MsghdrInit(void* msg, void* iov, int iovCount, void* control, nuint controlLength)");
        Line(sb, "{");
        Line(sb, "    var m = (msghdr*)msg;");
        Line(sb, "    *m = default;");
        Line(sb, "    m->msg_iov = iov;");
        Line(sb, $"    m->msg_iovlen = ({FieldType(msghdr, "msg_iovlen")})iovCount;");
        Line(sb, "    m->msg_control = control;");
        Line(sb, $"    m->msg_controllen = ({FieldType(msghdr, "msg_controllen")})controlLength;");
        Line(sb, "}");
        Line(sb, "public static nuint MsghdrControlLength(void* msg) => (nuint)((msghdr*)msg)->msg_controllen;");
        Line(sb, "public static int MsghdrFlags(void* msg) => (int)((msghdr*)msg)->msg_flags;");
        Line(sb, $"public static int IovecSize => {iovec.Size};");
        Line(sb, "public static void IovecSet(void* iov, void* buffer, nuint length)");
        Line(sb, "{");
        Line(sb, "    ((iovec*)iov)->iov_base = buffer;");
        Line(sb, $"    ((iovec*)iov)->iov_len = ({FieldType(iovec, "iov_len")})length;");
        Line(sb, "}");
        Line(sb, $"public static int CmsgHeaderSize => {cmsghdr.Size};");
        Line(sb, $"public static int CmsgHeaderSpace => {cls}.CmsgHeaderSpace;");
        Line(sb, $"public static nuint CmsgAlign(nuint length) => {cls}.CMSG_ALIGN(length);");
        Line(sb, $"public static nuint CmsgLen(nuint length) => {cls}.CMSG_LEN(length);");
        Line(sb, $"public static nuint CmsgSpace(nuint length) => {cls}.CMSG_SPACE(length);");
        Line(sb, "public static void CmsgRead(void* cmsg, out nuint length, out int level, out int type)");
        Line(sb, "{");
        Line(sb, "    var c = (cmsghdr*)cmsg;");
        Line(sb, "    length = (nuint)c->cmsg_len;");
        Line(sb, "    level = (int)c->cmsg_level;");
        Line(sb, "    type = (int)c->cmsg_type;");
        Line(sb, "}");
        Line(sb, "public static void CmsgWrite(void* cmsg, nuint length, int level, int type)");
        Line(sb, "{");
        Line(sb, "    var c = (cmsghdr*)cmsg;");
        Line(sb, "    *c = default;");
        Line(sb, $"    c->cmsg_len = ({FieldType(cmsghdr, "cmsg_len")})length;");
        Line(sb, $"    c->cmsg_level = ({FieldType(cmsghdr, "cmsg_level")})level;");
        Line(sb, $"    c->cmsg_type = ({FieldType(cmsghdr, "cmsg_type")})type;");
        Line(sb, "}");
        FieldDef path = sun.Fields.First(f => f.Name == "sun_path");
        Line(sb, $"public static int SockaddrUnSize => {sun.Size};");
        Line(sb, $"public static int SunPathOffset => {path.Offset};");
        Line(sb, $"public static int SunPathCapacity => {path.Type.ArrayLength};");
        Line(sb, "public static void SockaddrUnInit(void* address, uint addressLength)");
        Line(sb, "{");
        Line(sb, "    var a = (sockaddr_un*)address;");
        Line(sb, "    *a = default;");
        Line(sb, $"    a->sun_family = ({FieldType(sun, "sun_family")}){cls}.AF_UNIX;");
        if (sun.Fields.Any(f => f.Name == "sun_len"))
        {
            Line(sb, $"    a->sun_len = ({FieldType(sun, "sun_len")})addressLength;");
        }
        Line(sb, "}");
        Line(sb, $"public static int PollfdSize => {pollfd.Size};");
        Line(sb, "public static void PollfdInit(void* pollfd, int fd, short events)");
        Line(sb, "{");
        Line(sb, "    var p = (pollfd*)pollfd;");
        Line(sb, $"    p->fd = ({FieldType(pollfd, "fd")})fd;");
        Line(sb, $"    p->events = ({FieldType(pollfd, "events")})events;");
        Line(sb, "    p->revents = 0;");
        Line(sb, "}");
        Line(sb, "public static short PollfdRevents(void* pollfd) => (short)((pollfd*)pollfd)->revents;");
        Line(sb, $"public static int StatSize => {stat.Size};");
        Line(sb, "public static uint StatMode(void* stat) => (uint)((stat*)stat)->st_mode;");
        Line(sb, "public static ulong StatDevice(void* stat) => unchecked((ulong)((stat*)stat)->st_dev);");
        Line(sb, "public static ulong StatInode(void* stat) => unchecked((ulong)((stat*)stat)->st_ino);");
        Line(sb, "public static uint StatOwner(void* stat) => (uint)((stat*)stat)->st_uid;");
        EmitPeerCred(sb, t);
        EmitStreams(sb, t);
        EmitProcessTypes(sb, t);
        EmitFileLookups(sb, t);
    }

    private static void EmitProcessTypes(StringBuilder sb, AbiTarget t)
    {
        Line(sb, $"public static int PosixSpawnFileActionsSize => {t.FindStruct("posix_spawn_file_actions_t")?.Size ?? 0};");
        Line(sb, $"public static int PosixSpawnattrSize => {t.FindStruct("posix_spawnattr_t")?.Size ?? 0};");
        Line(sb, $"public static int SigsetSize => {t.FindStruct("sigset_t")?.Size ?? 0};");
        Line(sb, $"public static int SiginfoSize => {t.FindStruct("siginfo_t")?.Size ?? 0};");
        Line(sb, $"public static int SchedParamSize => {t.FindStruct(Requirements.SchedParam.Name)?.Size ?? 0};");
        StructDef? timespec = t.FindStruct("timespec");
        if (timespec is not null && timespec.Fields.Any(f => f.Name == "tv_sec") && timespec.Fields.Any(f => f.Name == "tv_nsec"))
        {
            Line(sb, $"public static int TimespecSize => {timespec.Size};");
            Line(sb, "public static void TimespecRead(void* timespec, out long seconds, out long nanoseconds)");
            Line(sb, "{");
            Line(sb, "    var ts = (timespec*)timespec;");
            Line(sb, "    seconds = (long)ts->tv_sec;");
            Line(sb, "    nanoseconds = (long)ts->tv_nsec;");
            Line(sb, "}");
            EmitRlimit(sb, t);
            return;
        }
        EmitRlimit(sb, t);
        Line(sb, "public static int TimespecSize => 0;");
        Line(sb, $"public static void TimespecRead(void* timespec, out long seconds, out long nanoseconds) => throw new global::System.PlatformNotSupportedException(\"abi/{t.Rid}.abi declares no struct timespec.\");");
    }

    /// <summary>struct rlimit, where the file declares it with its fields (getrlimit).</summary>
    private static void EmitRlimit(StringBuilder sb, AbiTarget t)
    {
        StructDef? rlimit = t.FindStruct(Requirements.Rlimit.Name);
        if (rlimit is not null && Requirements.Rlimit.Fields.All(n => rlimit.Fields.Any(f => f.Name == n)))
        {
            Line(sb, $"public static int RlimitSize => {rlimit.Size};");
            Line(sb, "public static void RlimitRead(void* rlimit, out ulong soft, out ulong hard)");
            Line(sb, "{");
            Line(sb, "    var r = (rlimit*)rlimit;");
            Line(sb, "    soft = unchecked((ulong)r->rlim_cur);");
            Line(sb, "    hard = unchecked((ulong)r->rlim_max);");
            Line(sb, "}");
            return;
        }
        Line(sb, "public static int RlimitSize => 0;");
        Line(sb, $"public static void RlimitRead(void* rlimit, out ulong soft, out ulong hard) => throw new global::System.PlatformNotSupportedException(\"abi/{t.Rid}.abi declares no struct rlimit.\");");
    }

    /// <summary>struct passwd (every target) and struct open_how (only where openat2 can be called).</summary>
    private static void EmitFileLookups(StringBuilder sb, AbiTarget t)
    {
        StructDef passwd = t.FindStruct("passwd")!;
        Line(sb, $"public static int PasswdSize => {passwd.Size};");
        Line(sb, "public static uint PasswdUid(void* passwd) => (uint)((passwd*)passwd)->pw_uid;");
        StructDef? how = t.FindStruct(Requirements.OpenHowStruct.Key);
        bool has = how is not null && t.FindConst("SYS_openat2")?.Value is not null && t.FindFunction("syscall") is not null;
        Line(sb, $"public static bool Has_OpenHow => {(has ? "true" : "false")};");
        if (!has)
        {
            Line(sb, "public static int OpenHowSize => 0;");
            Line(sb, $"public static void OpenHowInit(void* how, ulong flags, ulong mode, ulong resolve) => throw new global::System.PlatformNotSupportedException(\"{t.Rid} has no openat2.\");");
            return;
        }
        Line(sb, $"public static int OpenHowSize => {how!.Size};");
        Line(sb, "public static void OpenHowInit(void* how, ulong flags, ulong mode, ulong resolve)");
        Line(sb, "{");
        Line(sb, "    var h = (open_how*)how;");
        Line(sb, "    *h = default;");
        Line(sb, $"    h->flags = ({FieldType(how, "flags")})flags;");
        Line(sb, $"    h->mode = ({FieldType(how, "mode")})mode;");
        Line(sb, $"    h->resolve = ({FieldType(how, "resolve")})resolve;");
        Line(sb, "}");
    }

    private static void EmitPeerCred(StringBuilder sb, AbiTarget t)
    {
        switch (t.PeerCred)
        {
            case PeerCredMethod.SoPeercred:
                StructDef ucred = t.FindStruct("ucred")!;
                Line(sb, $"public static int PeerCredSize => {ucred.Size};");
                Line(sb, "public static void PeerCredRead(void* buffer, out int pid, out uint uid, out uint gid)");
                Line(sb, "{");
                Line(sb, "    var c = (ucred*)buffer;");
                Line(sb, "    pid = (int)c->pid;");
                Line(sb, "    uid = (uint)c->uid;");
                Line(sb, "    gid = (uint)c->gid;");
                Line(sb, "}");
                break;
            case PeerCredMethod.LocalPeercred:
                StructDef xucred = t.FindStruct("xucred")!;
                bool hasPid = xucred.Fields.Any(f => f.Name == "cr_pid");
                Line(sb, $"public static int PeerCredSize => {xucred.Size};");
                Line(sb, "public static void PeerCredRead(void* buffer, out int pid, out uint uid, out uint gid)");
                Line(sb, "{");
                Line(sb, "    var c = (xucred*)buffer;");
                Line(sb, hasPid ? "    pid = (int)c->cr_pid;" : "    pid = -1;");
                Line(sb, "    uid = (uint)c->cr_uid;");
                Line(sb, "    gid = (uint)c->cr_groups[0];");
                Line(sb, "}");
                break;
            default:
                Line(sb, "public static int PeerCredSize => 0;");
                Line(sb, "public static void PeerCredRead(void* buffer, out int pid, out uint uid, out uint gid) =>");
                Line(sb, $"    throw new global::System.PlatformNotSupportedException(\"{t.Rid} reads peer credentials with getpeerucred(), not a getsockopt buffer.\");");
                break;
        }
    }

    private static void EmitStreams(StringBuilder sb, AbiTarget t)
    {
        StructDef? recv = t.FindStruct("strrecvfd"), strbuf = t.FindStruct("strbuf");
        bool has = recv is not null && strbuf is not null;
        if (has)
        {
            Line(sb, $"public static int StrrecvfdSize => {recv!.Size};");
            Line(sb, "public static void StrrecvfdRead(void* strrecvfd, out int fd, out uint uid, out uint gid)");
            Line(sb, "{");
            Line(sb, "    var r = (strrecvfd*)strrecvfd;");
            Line(sb, "    fd = (int)r->fd;");
            Line(sb, "    uid = (uint)r->uid;");
            Line(sb, "    gid = (uint)r->gid;");
            Line(sb, "}");
            Line(sb, $"public static int StrbufSize => {strbuf!.Size};");
            Line(sb, "public static void StrbufInit(void* strbuf, int maxLength, int length, void* buffer)");
            Line(sb, "{");
            Line(sb, "    var b = (strbuf*)strbuf;");
            Line(sb, "    *b = default;");
            Line(sb, $"    b->maxlen = ({FieldType(strbuf, "maxlen")})maxLength;");
            Line(sb, $"    b->len = ({FieldType(strbuf, "len")})length;");
            Line(sb, "    b->buf = buffer;");
            Line(sb, "}");
            Line(sb, "public static int StrbufLength(void* strbuf) => (int)((strbuf*)strbuf)->len;");
            return;
        }
        string pns = $"throw new global::System.PlatformNotSupportedException(\"{t.Rid} has no STREAMS.\")";
        Line(sb, "public static int StrrecvfdSize => 0;");
        Line(sb, $"public static void StrrecvfdRead(void* strrecvfd, out int fd, out uint uid, out uint gid) => {pns};");
        Line(sb, "public static int StrbufSize => 0;");
        Line(sb, $"public static void StrbufInit(void* strbuf, int maxLength, int length, void* buffer) => {pns};");
        Line(sb, $"public static int StrbufLength(void* strbuf) => {pns};");
    }

    private static void EmitFunctions(StringBuilder sb, AbiTarget t)
    {
        string cls = t.ClassName;
        sb.Append('\n');
        foreach (CanonicalFunction c in Requirements.Functions.Concat(Requirements.OptionalFunctions))
        {
            bool optional = Requirements.OptionalFunctions.Contains(c);
            FunctionDef? f = t.FindFunction(c.Name);
            if (optional)
            {
                Line(sb, $"public static bool Has_{c.Name} => {(f is null ? "false" : "true")};");
            }
            string signature = "public static " + ContractEmitter.Signature(c);
            if (f is null)
            {
                Line(sb, $"{signature} => throw new global::System.PlatformNotSupportedException(\"{c.Name}() is not available on {t.Rid}.\");");
                continue;
            }
            List<(string Type, string Name)> stub = TargetEmitter.StubParameters(t, f);
            var args = new List<string>();
            int canonicalIndex = 0;
            foreach (var (type, name) in stub)
            {
                if (name.StartsWith("__vararg_pad", System.StringComparison.Ordinal))
                {
                    args.Add("0");
                    continue;
                }
                string canonicalType = c.ParameterTypes[canonicalIndex];
                string arg = "a" + canonicalIndex.ToString(System.Globalization.CultureInfo.InvariantCulture);
                args.Add(type == canonicalType ? arg : $"({type}){arg}");
                canonicalIndex++;
            }
            string call = $"{cls}.{f.Name}({string.Join(", ", args)})";
            string ret = CSharpTypes.Of(f.ReturnType, t.ClassName);
            Line(sb, c.ReturnType == "void" ? $"{signature} => {call};"
                : ret == c.ReturnType ? $"{signature} => {call};" : $"{signature} => ({c.ReturnType}){call};");
        }
    }
}

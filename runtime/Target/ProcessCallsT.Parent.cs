namespace FdPasser.Platform;

internal sealed unsafe partial class ProcessCalls<TAbi>
{
    public override int ParentProcessId() =>
        TAbi.Has_getppid ? TAbi.getppid() : throw Missing("getppid()");

    public override (long Soft, long Hard)? OpenFilesLimit()
    {
        if (!TAbi.Has_getrlimit || !TAbi.Has_RLIMIT_NOFILE || TAbi.RlimitSize == 0)
        {
            return null;
        }
        byte* rlimit = stackalloc byte[TAbi.RlimitSize];
        if (TAbi.getrlimit(TAbi.RLIMIT_NOFILE, rlimit) != 0)
        {
            return null;
        }
        TAbi.RlimitRead(rlimit, out ulong soft, out ulong hard);
        return (Clamp(soft), Clamp(hard));
    }

    // RLIM_INFINITY is all ones (Linux, illumos's -3 near it) or 2^63-1 (FreeBSD, macOS): "unlimited" is long.MaxValue.
    private static long Clamp(ulong limit) => limit >= long.MaxValue ? long.MaxValue : (long)limit;
}

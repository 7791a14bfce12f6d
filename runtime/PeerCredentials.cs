namespace FdPasser;

/// <summary>
/// Who is on the other end of a connection, as the kernel vouches for it (SO_PEERCRED on Linux,
/// LOCAL_PEERCRED on macOS and FreeBSD, getpeerucred on illumos, strrecvfd on STREAMS).
/// </summary>
/// <param name="ProcessId">The peer's process id at connect time; -1 where the system does not report it.</param>
/// <param name="UserId">The peer's effective user id.</param>
/// <param name="GroupId">The peer's effective group id.</param>
public readonly record struct PeerCredentials(int ProcessId, uint UserId, uint GroupId)
{
    /// <inheritdoc />
    public override string ToString() => $"pid {(ProcessId < 0 ? "?" : ProcessId)}, uid {UserId}, gid {GroupId}";
}

using FdPasser.Platform;
using FdPasser.Hosting;

namespace FdPasser.Cli.Commands;

/// <summary>An ENDPOINT argument: a socket file's path, or <c>@name</c> for a Linux abstract socket.</summary>
internal static class Endpoint
{
    public static bool IsAbstract(string endpoint) => endpoint.Length > 1 && endpoint[0] == '@';

    public static FdListener Listen(string endpoint, FdListenerOptions options) =>
        IsAbstract(endpoint) ? FdListener.CreateAbstract(endpoint.Substring(1), options.Backlog) : FdListener.Create(endpoint, options);

    public static FdChannel Connect(string endpoint) =>
        IsAbstract(endpoint) ? FdChannel.ConnectAbstract(endpoint.Substring(1)) : FdChannel.Connect(endpoint);

    /// <summary>This process's own credentials, as the kernel reports them across a socket pair it made.</summary>
    public static PeerCredentials Self()
    {
        var (first, second) = FdChannel.CreatePair();
        using (first)
        using (second)
        {
            return first.GetPeerCredentials();
        }
    }

    /// <summary>An errno's name on this system, or its number.</summary>
    public static string ErrnoName(int errno) => CliTarget.Current.ErrnoName(errno) ?? "errno " + errno;
}

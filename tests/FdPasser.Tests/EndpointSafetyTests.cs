using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Sockets;
using FdPasser.Platform;
using FdPasser.Tests.Support;

namespace FdPasser.Tests;

/// <summary>
/// A listener's endpoint file under a changing filesystem: its mode is set without following a path somebody else
/// can swap, disposal removes only the file that is still its own, and the backlog is the system's.
/// </summary>
public class EndpointSafetyTests
{
    [Fact]
    public void Setting_an_endpoints_mode_never_follows_a_symlink_swapped_in_for_it()
    {
        using var dir = new TempDir();
        string victim = dir.WriteFile("victim", "private");
        File.SetUnixFileMode(victim, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        string link = dir.File("endpoint");
        File.CreateSymbolicLink(link, victim);
        var wide = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;
        Assert.ThrowsAny<IOException>(() => Target.Current.Sockets.SetEndpointMode(link, wide));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(victim));
    }

    [Fact]
    public void Disposing_a_listener_whose_file_was_replaced_leaves_the_new_servers_file()
    {
        using var dir = new TempDir();
        string path = dir.File("ep");
        FdListener old = FdListener.Create(path);
        // Another server took the path (after the file was removed from under the first one).
        File.Delete(path);
        using FdListener successor = FdListener.Create(path);
        old.Dispose();
        Assert.True(File.Exists(path), "disposing the first listener removed the second one's socket file");
        using FdChannel client = FdChannel.Connect(path);
        successor.Accept().Channel.Dispose();
    }

    [Fact]
    public void Disposing_a_listener_still_removes_its_own_file()
    {
        using var dir = new TempDir();
        string path = dir.File("ep");
        FdListener.Create(path).Dispose();
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void The_default_backlog_takes_a_burst_of_two_hundred_clients()
    {
        using var dir = new TempDir();
        string path = dir.File("ep");
        using FdListener listener = FdListener.Create(path);
        var clients = new List<Socket>();
        try
        {
            for (int i = 0; i < 200; i++)
            {
                var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { Blocking = false };
                clients.Add(s);
                // Nobody accepts: each connection waits in the backlog; a full backlog answers EAGAIN.
                s.Connect(new UnixDomainSocketEndPoint(path));
            }
        }
        finally
        {
            clients.ForEach(s => s.Dispose());
        }
    }
}

using System;
using System.IO;
using FdPasser.Cli.Tests.Infrastructure;

namespace FdPasser.Cli.Tests;

public sealed class AllowUidTests
{
    [Fact]
    public void A_peer_whose_uid_is_not_allowed_is_refused()
    {
        using var tree = new TempTree();
        uint other = Fdpass.OwnUid() == 4242 ? 4243u : 4242u;
        using ServeProcess server = ServeProcess.Start(tree.Endpoint, "--root", tree.Root, "--allow-uid", other.ToString(System.Globalization.CultureInfo.InvariantCulture));

        RunResult get = Fdpass.Run("get", tree.Endpoint, "hello.txt");

        Assert.Equal(3, get.ExitCode);
        Assert.Equal("", get.Stdout);
        Assert.Contains($"uid {Fdpass.OwnUid()} is not allowed to use this server (status 13, EACCES)", get.Stderr, StringComparison.Ordinal);
        server.AssertLogged($"uid {Fdpass.OwnUid()}: open 'hello.txt' O_RDONLY: refused (EACCES: uid");
    }

    [Fact]
    public void Listing_other_uids_opens_the_socket_file_to_them_and_listing_ones_own_uid_serves_it()
    {
        using var tree = new TempTree();
        string own = Fdpass.OwnUid().ToString(System.Globalization.CultureInfo.InvariantCulture);
        using ServeProcess server = ServeProcess.Start(tree.Endpoint, "--root", tree.Root, "--allow-uid", "4242", "--allow-uid", own);

        RunResult get = Fdpass.Run("get", tree.Endpoint, "hello.txt");

        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Equal((UnixFileMode)0x1B6, File.GetUnixFileMode(tree.Endpoint) & (UnixFileMode)0x1FF); // 0666
    }

    [Fact]
    public void By_default_the_socket_file_is_owner_only()
    {
        using var tree = new TempTree();
        using ServeProcess server = ServeProcess.Start(tree.Endpoint, "--root", tree.Root);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(tree.Endpoint));
        Assert.Contains(server.Log, l => l.Contains($"to uid {Fdpass.OwnUid()}", StringComparison.Ordinal));
    }
}

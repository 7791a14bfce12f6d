using System;
using System.IO;
using FdPasser.Cli.Tests.Infrastructure;
using FdPasser.TestSupport;

namespace FdPasser.Cli.Tests;

public sealed class PathSafetyTests : IDisposable
{
    private readonly TempTree _tree = new();
    private readonly ServeProcess _server;

    public PathSafetyTests()
    {
        string root = _tree.Root;
        Directory.CreateDirectory(Path.Combine(root, "sub"));
        File.WriteAllText(Path.Combine(root, "sub", "inner.txt"), "inner\n");
        File.CreateSymbolicLink(Path.Combine(root, "up-link"), "../outside.txt");
        File.CreateSymbolicLink(Path.Combine(root, "abs-link"), Path.Combine(_tree.Path, "outside.txt"));
        Directory.CreateSymbolicLink(Path.Combine(root, "dir-link"), _tree.Path);
        Directory.CreateSymbolicLink(Path.Combine(root, "sub", "deep-link"), "../..");
        File.CreateSymbolicLink(Path.Combine(root, "inside-link"), "sub/inner.txt");
        File.CreateSymbolicLink(Path.Combine(root, "sub", "back-link"), "../hello.txt");
        File.CreateSymbolicLink(Path.Combine(root, "abs-inside-link"), Path.Combine(root, "sub", "inner.txt"));
        File.CreateSymbolicLink(Path.Combine(root, "loop"), "loop");
        RunResult fifo = Exec.Run("mkfifo", new[] { Path.Combine(root, "fifo") });
        Assert.True(fifo.ExitCode == 0, fifo.ToString());
        _server = ServeProcess.Start(_tree.Endpoint, "--root", root);
    }

    public void Dispose()
    {
        _server.Dispose();
        _tree.Dispose();
    }

    [Theory]
    [InlineData("../outside.txt", "has a '..' component")]
    [InlineData("sub/../../outside.txt", "has a '..' component")]
    [InlineData("up-link", "follows no symbolic links (status 40, ELOOP)")]
    [InlineData("abs-link", "follows no symbolic links (status 40, ELOOP)")]
    [InlineData("dir-link/outside.txt", "follows no symbolic links (status 40, ELOOP)", "'dir-link' is not a directory (or is a symbolic link, which this server does not follow) (status 20, ENOTDIR)")]
    [InlineData("sub/deep-link/outside.txt", "follows no symbolic links (status 40, ELOOP)", "'sub/deep-link' is not a directory (or is a symbolic link, which this server does not follow) (status 20, ENOTDIR)")]
    [InlineData("fifo", "is not a regular file or a directory")]
    [InlineData("loop", "follows no symbolic links (status 40, ELOOP)")]
    [InlineData("hello.txt/x", "is not a directory")]
    [InlineData("inside-link", "follows no symbolic links (status 40, ELOOP)")]
    [InlineData("sub/back-link", "follows no symbolic links (status 40, ELOOP)")]
    [InlineData("abs-inside-link", "follows no symbolic links (status 40, ELOOP)")]
    public void Paths_that_leave_the_root_pass_a_link_or_are_not_files_are_refused(string path, string message, string? walkMessage = null)
    {
        RunResult get = Fdpass.Run("get", _tree.Endpoint, path);

        Assert.Equal(3, get.ExitCode);
        Assert.Equal("", get.Stdout);
        // Where openat2 is missing (a kernel before 5.6, or qemu-user 7.2, which does not translate it) the server
        // walks, and a link in the middle of the path is refused as a component that is not a directory.
        bool walks = !_server.Log[0].Contains("opening with openat2", StringComparison.Ordinal);
        Assert.Contains(walks && walkMessage is not null ? walkMessage : message, get.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("up-link", "follows no symbolic links (status 40, ELOOP)")]
    [InlineData("dir-link/outside.txt", "'dir-link' is not a directory (or is a symbolic link, which this server does not follow) (status 20, ENOTDIR)")]
    [InlineData("sub/deep-link/outside.txt", "'sub/deep-link' is not a directory (or is a symbolic link, which this server does not follow) (status 20, ENOTDIR)")]
    [InlineData("inside-link", "follows no symbolic links (status 40, ELOOP)")]
    [InlineData("fifo", "is not a regular file or a directory")]
    [InlineData("hello.txt/x", "'hello.txt' is not a directory")]
    public void Without_openat2_the_walk_refuses_the_same_paths(string path, string message)
    {
        using ServeProcess walking = ServeProcess.StartWithoutOpenat2(_tree.Path + "/w.sock", "--root", _tree.Root);
        Assert.Contains("opening component by component with openat", walking.Log[0], StringComparison.Ordinal);

        RunResult get = Fdpass.Run("get", _tree.Path + "/w.sock", path);

        Assert.Equal(3, get.ExitCode);
        Assert.Contains(message, get.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("null")]
    [InlineData("zero")]
    [InlineData("/dev/null")]
    public void Device_files_are_refused(string path)
    {
        using var tree = new TempTree();
        using ServeProcess devices = ServeProcess.Start(tree.Endpoint, "--root", "/dev", "--allow-write");

        foreach (string flags in new[] { "O_RDONLY", "O_WRONLY" })
        {
            RunResult get = Fdpass.Run("get", tree.Endpoint, path, "--flags", flags);

            Assert.Equal(3, get.ExitCode);
            Assert.Contains($"'{path}' is not a regular file or a directory; only those are served (status 13, EACCES)", get.Stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_socket_file_under_the_root_is_refused()
    {
        using var tree = new TempTree();
        using ServeProcess server = ServeProcess.Start(tree.Endpoint, "--root", tree.Path);

        RunResult get = Fdpass.Run("get", tree.Endpoint, "s.sock");

        Assert.Equal(3, get.ExitCode);
        Assert.Contains("'s.sock' is not a regular file or a directory; only those are served (status 13, EACCES)", get.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Absolute_paths_outside_the_root_are_refused()
    {
        foreach (string path in new[] { Path.Combine(_tree.Path, "outside.txt"), "/etc/passwd", "/dev/null", _tree.Root + "-sibling/x" })
        {
            RunResult get = Fdpass.Run("get", _tree.Endpoint, path);
            Assert.Equal(3, get.ExitCode);
            Assert.Contains("is outside the served root (status 13, EACCES)", get.Stderr, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("hello.txt", "hello through a passed descriptor\n")]
    [InlineData("./sub//inner.txt", "inner\n")]
    public void Paths_inside_the_root_are_served(string path, string content)
    {
        RunResult get = Fdpass.Run("get", _tree.Endpoint, path);

        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Equal(content, get.Stdout);
    }

    [Fact]
    public void An_absolute_path_inside_the_root_is_served()
    {
        RunResult get = Fdpass.Run("get", _tree.Endpoint, Path.Combine(_tree.Root, "sub", "inner.txt"));

        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Equal("inner\n", get.Stdout);
    }

    [Fact]
    public void A_directory_is_passed_and_get_says_it_cannot_copy_it()
    {
        using FdChannel channel = FdChannel.Connect(_tree.Endpoint);
        channel.Timeout = TestTiming.Seconds(10);
        channel.SendRaw("open sub 0\0"u8, ReadOnlySpan<int>.Empty);
        using (Microsoft.Win32.SafeHandles.SafeFileHandle directory = channel.ReceiveDescriptor())
        {
            Assert.False(directory.IsInvalid);
        }

        RunResult get = Fdpass.Run("get", _tree.Endpoint, "sub");
        Assert.Equal(1, get.ExitCode);
        Assert.StartsWith("fdpass get: received a descriptor for 'sub', but", get.Stderr, StringComparison.Ordinal);
        Assert.Single(get.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}

using System;
using System.IO;
using FdPasser.Cli.Tests.Infrastructure;

namespace FdPasser.Cli.Tests;

public sealed class WriteAccessTests
{
    [Theory]
    [InlineData("O_WRONLY")]
    [InlineData("O_RDWR")]
    [InlineData("O_RDONLY|O_CREAT")]
    [InlineData("O_RDONLY|O_TRUNC")]
    [InlineData("O_WRONLY|O_APPEND")]
    public void Write_access_creation_and_truncation_are_refused_without_allow_write(string flags)
    {
        using var tree = new TempTree();
        using ServeProcess server = ServeProcess.Start(tree.Endpoint, "--root", tree.Root);

        RunResult get = Fdpass.Run("get", tree.Endpoint, "hello.txt", "--flags", flags);

        Assert.Equal(3, get.ExitCode);
        Assert.Contains("needs write access, which this server does not allow (no --allow-write) (status 13, EACCES)", get.Stderr, StringComparison.Ordinal);
        Assert.Equal("hello through a passed descriptor\n", File.ReadAllText(tree.InRoot("hello.txt")));
    }

    [Fact]
    public void With_allow_write_a_client_creates_and_writes_a_file_through_the_passed_descriptor()
    {
        using var tree = new TempTree();
        using ServeProcess server = ServeProcess.Start(tree.Endpoint, "--root", tree.Root, "--allow-write");

        RunResult get = Fdpass.RunWithInput("written through a descriptor\n", "get", tree.Endpoint, "new.txt", "--flags", "O_WRONLY|O_CREAT|O_TRUNC");

        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Equal("written through a descriptor\n", File.ReadAllText(tree.InRoot("new.txt")));
        server.AssertLogged("open 'new.txt' O_WRONLY|O_CREAT|O_TRUNC: passed descriptor");
    }

    [Fact]
    public void With_allow_write_creation_outside_the_root_is_still_refused()
    {
        using var tree = new TempTree();
        File.CreateSymbolicLink(tree.InRoot("dangling"), Path.Combine(tree.Path, "created-outside.txt"));
        using ServeProcess server = ServeProcess.Start(tree.Endpoint, "--root", tree.Root, "--allow-write");

        RunResult viaLink = Fdpass.RunWithInput("x", "get", tree.Endpoint, "dangling", "--flags", "O_WRONLY|O_CREAT");
        RunResult viaDots = Fdpass.RunWithInput("x", "get", tree.Endpoint, "../created-outside.txt", "--flags", "O_WRONLY|O_CREAT");

        Assert.Equal(3, viaLink.ExitCode);
        Assert.Equal(3, viaDots.ExitCode);
        Assert.False(File.Exists(Path.Combine(tree.Path, "created-outside.txt")));
    }

    [Fact]
    public void Unknown_open_flags_are_refused_with_EINVAL()
    {
        using var tree = new TempTree();
        using ServeProcess server = ServeProcess.Start(tree.Endpoint, "--root", tree.Root);

        RunResult get = Fdpass.Run("get", tree.Endpoint, "hello.txt", "--flags", "0x40000000");

        Assert.Equal(3, get.ExitCode);
        Assert.Contains("open flags 0x40000000 are not supported by this server (status 22, EINVAL)", get.Stderr, StringComparison.Ordinal);
    }
}

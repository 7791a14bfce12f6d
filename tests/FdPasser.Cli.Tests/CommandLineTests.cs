using System;
using FdPasser.Cli.Tests.Infrastructure;

namespace FdPasser.Cli.Tests;

public sealed class CommandLineTests
{
    [Theory]
    [InlineData("--help", "Usage:\n  fdpass serve ENDPOINT")]
    [InlineData("serve --help", "Usage: fdpass serve ENDPOINT")]
    [InlineData("get --help", "Usage: fdpass get ENDPOINT PATH")]
    [InlineData("demo --help", "Usage: fdpass demo")]
    [InlineData("get -h", "Usage: fdpass get ENDPOINT PATH")]
    public void Every_command_has_help(string args, string expected)
    {
        RunResult run = Fdpass.Run(args.Split(' '));

        Assert.Equal(0, run.ExitCode);
        Assert.Contains(expected, run.Stdout, StringComparison.Ordinal);
        Assert.Equal("", run.Stderr);
    }

    [Theory]
    [InlineData("", "fdpass: missing command: serve, get, hold or demo (see 'fdpass --help')")]
    [InlineData("launch", "fdpass: unknown command 'launch': expected serve, get, hold or demo (see 'fdpass --help')")]
    [InlineData("serve", "fdpass serve: missing ENDPOINT (see 'fdpass serve --help')")]
    [InlineData("serve /tmp/x.sock --allow-uid fdp-no-such-user", "fdpass serve: --allow-uid 'fdp-no-such-user' is neither a user id nor the name of a known user (see 'fdpass serve --help')")]
    [InlineData("serve /tmp/x.sock --root", "fdpass serve: option '--root' needs a value (see 'fdpass serve --help')")]
    [InlineData("get /tmp/x.sock", "fdpass get: missing PATH (see 'fdpass get --help')")]
    [InlineData("get /tmp/x.sock a b", "fdpass get: unexpected argument 'b' (see 'fdpass get --help')")]
    [InlineData("get /tmp/x.sock a --flags O_BOGUS", "fdpass get: --flags 'O_BOGUS' is neither a number nor O_* names such as O_WRONLY|O_CREAT (see 'fdpass get --help')")]
    [InlineData("demo --verbose", "fdpass demo: unknown option '--verbose' (see 'fdpass demo --help')")]
    public void Usage_errors_are_one_line_with_exit_code_2(string args, string expected)
    {
        RunResult run = Fdpass.Run(args.Length == 0 ? Array.Empty<string>() : args.Split(' '));

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(expected + "\n", run.Stderr);
        Assert.Equal("", run.Stdout);
    }

    [Fact]
    public void Connecting_to_a_missing_endpoint_is_one_line_naming_the_call_and_errno()
    {
        RunResult run = Fdpass.Run("get", "/tmp/fdpass-no-such-endpoint.sock", "x");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("fdpass get: connect() failed while connecting to the endpoint '/tmp/fdpass-no-such-endpoint.sock': ENOENT (2): No such file or directory\n", run.Stderr);
    }

    [Fact]
    public void A_root_that_does_not_exist_is_one_line_and_no_socket_is_left()
    {
        using var tree = new TempTree();
        RunResult run = Fdpass.Run("serve", tree.Endpoint, "--root", tree.InRoot("missing"));

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith($"fdpass serve: cannot use '{tree.InRoot("missing")}' as the root: ", run.Stderr, StringComparison.Ordinal);
        Assert.Single(run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.False(System.IO.File.Exists(tree.Endpoint));
    }

    [Fact]
    public void Serving_where_a_server_already_listens_fails_in_one_line()
    {
        using var tree = new TempTree();
        using ServeProcess first = ServeProcess.Start(tree.Endpoint, "--root", tree.Root);

        RunResult second = Fdpass.Run("serve", tree.Endpoint, "--root", tree.Root);

        Assert.Equal(1, second.ExitCode);
        Assert.Equal($"fdpass serve: Cannot create an endpoint at '{tree.Endpoint}': a server is listening there already (EADDRINUSE).\n", second.Stderr);
        Assert.True(System.IO.File.Exists(tree.Endpoint), "the running server's socket file was removed");
    }
}

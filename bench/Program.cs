using System;
using BenchmarkDotNet.Running;

namespace FdPasser.Bench;

/// <summary>
/// <c>quick …</c>: one-shot figures for scripts (see <see cref="Quick"/>); <c>xproc-server PATH</c>: the peer
/// process of the cross-process benchmark; anything else goes to BenchmarkDotNet
/// (e.g. <c>--filter '*' --job short</c>).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "quick")
        {
            return Quick.Run(args.AsSpan(1));
        }
        if (args.Length > 1 && args[0] == CrossProcessPeer.Command)
        {
            return CrossProcessPeer.Serve(args[1]);
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}

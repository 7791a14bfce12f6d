using System;
using System.IO;

namespace FdPasser.Cli.Tests.Infrastructure;

/// <summary>
/// A scratch directory under /tmp (short, for socket paths) with a served root inside it and a file outside
/// the root, removed on dispose.
/// </summary>
internal sealed class TempTree : IDisposable
{
    public TempTree()
    {
        Path = Directory.CreateTempSubdirectory("fdp-").FullName;
        Root = System.IO.Path.Combine(Path, "root");
        Directory.CreateDirectory(Root);
        File.WriteAllText(System.IO.Path.Combine(Path, "outside.txt"), "outside the root\n");
        File.WriteAllText(System.IO.Path.Combine(Root, "hello.txt"), "hello through a passed descriptor\n");
    }

    public string Path { get; }

    public string Root { get; }

    public string Endpoint => System.IO.Path.Combine(Path, "s.sock");

    public string InRoot(string relative) => System.IO.Path.Combine(Root, relative);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

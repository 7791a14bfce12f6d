using System;
using System.IO;
using System.Linq;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Tests.Support;

/// <summary>
/// A file with a name of its own, so a test can tell whether any descriptor of this process still refers to it:
/// a descriptor number alone may be reused by the runtime the moment it is closed.
/// </summary>
internal sealed class MarkedFile : IDisposable
{
    private readonly TempDir _dir = new();

    public MarkedFile()
    {
        Path = _dir.WriteFile("marked-" + Guid.NewGuid().ToString("N"), "marked");
    }

    public string Path { get; }

    public SafeFileHandle Open() => File.OpenHandle(Path);

    /// <summary>The descriptors of this process that refer to the file, by number.</summary>
    public int[] OpenDescriptors() =>
        Directory.GetFiles("/proc/self/fd")
            .Where(f => new FileInfo(f).LinkTarget == Path)
            .Select(f => int.Parse(System.IO.Path.GetFileName(f), System.Globalization.CultureInfo.InvariantCulture))
            .Order()
            .ToArray();

    /// <summary>How many descriptors of this process refer to the file.</summary>
    public int OpenCount() => OpenDescriptors().Length;

    public void Dispose() => _dir.Dispose();
}

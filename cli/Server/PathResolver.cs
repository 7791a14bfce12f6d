using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using FdPasser.Interop;
using FdPasser.Platform;

namespace FdPasser.Cli.Server;

/// <summary>Why a request is not served: the errno sent as its status, and the message sent before it.</summary>
internal readonly record struct Refusal(int Errno, string Message);

/// <summary>A path resolved to its real form: no symbolic link left in it.</summary>
internal readonly record struct ResolvedPath(string FullPath, int FileType);

/// <summary>
/// The served root's real path, found once at start (the operator's links in it are followed then), and the
/// lexical check of request paths against it: a request names components below the root, with no '..'; an
/// absolute request must start with the root's path. Nothing here looks at the filesystem per request: the open
/// itself (<see cref="BeneathOpener"/>) resolves the components beneath the root's descriptor.
/// </summary>
internal sealed class PathResolver
{
    /// <summary>As many links as Linux follows in one lookup before ELOOP.</summary>
    private const int MaxLinks = 40;

    private readonly FileCalls _files;
    private readonly PlatformConstants _abi;
    private readonly string _givenRoot;

    private PathResolver(FileCalls files, string givenRoot, string realRoot)
    {
        _files = files;
        _abi = files.Constants;
        _givenRoot = givenRoot;
        Root = realRoot;
    }

    /// <summary>The root's real path (absolute, no links).</summary>
    public string Root { get; }

    /// <summary>Creates a resolver for <paramref name="root"/>, which must be an existing directory.</summary>
    /// <exception cref="IOException">The root cannot be resolved or is not a directory.</exception>
    public static PathResolver Create(string root, FileCalls files)
    {
        string full = Path.GetFullPath(root);
        var system = new PathResolver(files, "/", "/");
        if (!system.TryResolve(full, out ResolvedPath real, out Refusal refusal))
        {
            throw new IOException($"cannot use '{root}' as the root: {refusal.Message}");
        }
        if (real.FileType != files.Constants.S_IFDIR)
        {
            throw new IOException($"cannot use '{root}' as the root: it is not a directory");
        }
        return new PathResolver(files, full.Length > 1 ? full.TrimEnd('/') : full, real.FullPath);
    }

    /// <summary>
    /// The components of <paramref name="requestPath"/> below the root ('.' and empty ones dropped; none for the root
    /// itself); false with the refusal where the path is empty, holds a NUL or a '..', or is absolute and outside the root.
    /// </summary>
    public bool TrySplit(string requestPath, out string[] components, out Refusal refusal)
    {
        components = Array.Empty<string>();
        if (requestPath.Length == 0)
        {
            refusal = new Refusal(_abi.EINVAL, "the path is empty");
            return false;
        }
        if (requestPath.Contains('\0', StringComparison.Ordinal))
        {
            refusal = new Refusal(_abi.EINVAL, "the path holds a NUL character");
            return false;
        }
        string relative = requestPath;
        if (requestPath[0] == '/')
        {
            // The root's own path as given on the command line counts as inside too.
            if ((Within(requestPath, Root) ?? Within(requestPath, _givenRoot)) is not { } inside)
            {
                refusal = new Refusal(_abi.EACCES, $"'{requestPath}' is outside the served root");
                return false;
            }
            relative = inside;
        }
        string[] parts = relative.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (Array.IndexOf(parts, "..") >= 0)
        {
            refusal = new Refusal(_abi.EACCES, $"'{requestPath}' has a '..' component, which is not allowed");
            return false;
        }
        components = Array.FindAll(parts, p => p != ".");
        refusal = default;
        return true;
    }

    /// <summary>Resolves a path the way the kernel would, following links that stay under this resolver's root (used for the root itself, at start).</summary>
    private bool TryResolve(string requestPath, out ResolvedPath resolved, out Refusal refusal)
    {
        resolved = default;
        if (requestPath.Length == 0)
        {
            refusal = new Refusal(_abi.EINVAL, "the path is empty");
            return false;
        }
        string relative = requestPath;
        if (requestPath[0] == '/')
        {
            if (Within(requestPath, Root) is { } r1)
            {
                relative = r1;
            }
            else if (Within(requestPath, _givenRoot) is { } r2)
            {
                relative = r2;
            }
            else
            {
                refusal = new Refusal(_abi.EACCES, $"'{requestPath}' is outside the served root");
                return false;
            }
        }
        string[] parts = relative.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (Array.IndexOf(parts, "..") >= 0)
        {
            refusal = new Refusal(_abi.EACCES, $"'{requestPath}' has a '..' component, which is not allowed");
            return false;
        }
        var pending = new Stack<string>();
        Push(pending, parts);
        var real = new List<string>();
        int links = 0;
        int type = _abi.S_IFDIR;
        while (pending.Count > 0)
        {
            string part = pending.Pop();
            if (part == ".")
            {
                continue;
            }
            if (part == "..")
            {
                // Only a link's target gets here; the components walked so far are real, so '..' is their parent.
                if (real.Count == 0)
                {
                    refusal = new Refusal(_abi.EACCES, $"'{requestPath}' leads out of the served root through a symbolic link");
                    return false;
                }
                real.RemoveAt(real.Count - 1);
                type = _abi.S_IFDIR;
                continue;
            }
            string candidate = Join(real, part);
            type = _files.TryGetFileType(candidate, out int errno);
            if (type < 0)
            {
                refusal = new Refusal(errno, $"'{requestPath}': {Marshal.GetPInvokeErrorMessage(errno)} (lstat() of '{candidate}': {_files.ErrnoName(errno) ?? "errno " + errno})");
                return false;
            }
            if (type == _abi.S_IFLNK)
            {
                if (++links > MaxLinks)
                {
                    refusal = new Refusal(_abi.ELOOP, $"'{requestPath}' passes through more than {MaxLinks} symbolic links");
                    return false;
                }
                string? target = ReadLink(candidate);
                if (string.IsNullOrEmpty(target))
                {
                    refusal = new Refusal(_abi.ENOENT, $"'{requestPath}': cannot read the symbolic link '{candidate}'");
                    return false;
                }
                if (target[0] == '/')
                {
                    // The root's own path as given on the command line resolves to Root, so it counts as inside too.
                    string? inside = Within(target, Root) ?? Within(target, _givenRoot);
                    if (inside is null)
                    {
                        refusal = new Refusal(_abi.EACCES, $"'{requestPath}' leads out of the served root through a symbolic link");
                        return false;
                    }
                    real.Clear();
                    target = inside;
                }
                Push(pending, target.Split('/', StringSplitOptions.RemoveEmptyEntries));
                type = _abi.S_IFDIR;
                continue;
            }
            if (pending.Count > 0 && type != _abi.S_IFDIR)
            {
                refusal = new Refusal(_abi.ENOTDIR, $"'{requestPath}': '{candidate}' is not a directory");
                return false;
            }
            real.Add(part);
        }
        resolved = new ResolvedPath(Join(real, null), type);
        refusal = default;
        return true;
    }

    private static void Push(Stack<string> pending, string[] parts)
    {
        for (int i = parts.Length - 1; i >= 0; i--)
        {
            pending.Push(parts[i]);
        }
    }

    /// <summary>The part of an absolute path below <paramref name="root"/> ("" for the root itself), or null where it is not below it.</summary>
    private static string? Within(string path, string root)
    {
        if (root == "/")
        {
            return path.Substring(1);
        }
        if (path == root)
        {
            return "";
        }
        return path.StartsWith(root + "/", StringComparison.Ordinal) ? path.Substring(root.Length + 1) : null;
    }

    private string Join(List<string> real, string? last)
    {
        var all = new List<string>(real);
        if (last is not null)
        {
            all.Add(last);
        }
        string tail = string.Join('/', all);
        return Root == "/" ? "/" + tail : tail.Length == 0 ? Root : Root + "/" + tail;
    }

    private static string? ReadLink(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}

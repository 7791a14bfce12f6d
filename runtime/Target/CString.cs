using System.Text;

namespace FdPasser.Platform;

/// <summary>Strings as the C calls take them.</summary>
internal static class CString
{
    /// <summary>UTF-8 with a terminating NUL.</summary>
    public static byte[] NulTerminated(string s)
    {
        byte[] bytes = new byte[Encoding.UTF8.GetByteCount(s) + 1];
        Encoding.UTF8.GetBytes(s, 0, s.Length, bytes, 0);
        return bytes;
    }
}

using System.Text;

namespace FdPasser.Generator.Model;

internal static class Naming
{
    public static string ClassNameForRid(string rid)
    {
        var sb = new StringBuilder(rid.Length);
        bool upper = true;
        foreach (char c in rid)
        {
            if (c == '-' || c == '.' || c == '_')
            {
                upper = true;
                continue;
            }
            sb.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }
        return sb.ToString();
    }
}

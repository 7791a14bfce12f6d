using Microsoft.CodeAnalysis.CSharp;

namespace FdPasser.Generator.Emit;

internal static class SyntaxFacts
{
    public static bool IsKeyword(string name) =>
        Microsoft.CodeAnalysis.CSharp.SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None;
}

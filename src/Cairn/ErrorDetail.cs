namespace Cairn;

/// <summary>
/// One failing place behind an error: a JSON pointer (<c>/epochs</c>, <c>/properties/tier/enum</c>) and what is wrong
/// there; <see cref="Entity"/> names the stored entity it was found in, when it was found in one, and <see cref="Index"/>
/// the element of a batch (an OpenLineage batch's event) it was found in.
/// </summary>
public sealed record ErrorDetail(string Path, string Message, string? Entity = null, int? Index = null);

/// <summary>
/// An error that carries every failing place, not only a summary; the server adds them to the problem details as
/// <c>errors: [{path, message}]</c>.
/// </summary>
public interface IHasErrorDetails
{
    IReadOnlyList<ErrorDetail> Errors { get; }
}

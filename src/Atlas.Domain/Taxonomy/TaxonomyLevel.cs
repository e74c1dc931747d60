namespace Atlas.Domain.Taxonomy;

/// <summary>
/// The ranks the SpeciesNet ensemble rolls scores up to (spec 4.3/4.4), most specific first. The lower-case
/// member name is the suffix of the prediction source (<c>classifier+rollup_to_genus</c>, …).
/// </summary>
public enum TaxonomyLevel
{
    Genus,
    Family,
    Order,
    Class,
    Kingdom,
}

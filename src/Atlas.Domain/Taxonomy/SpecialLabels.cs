namespace Atlas.Domain.Taxonomy;

/// <summary>
/// The raw strings of SpeciesNet's special labels (spec 1.2, speciesnet/constants.py). They appear verbatim in
/// predictions, so they are constants rather than something read from the bundle.
/// </summary>
public static class SpecialLabels
{
    public const string Blank = "f1856211-cfb7-4a5b-9158-c0f72fd09ee6;;;;;;blank";
    public const string Animal = "1f689929-883d-4dae-958c-3d57ab5b6c16;;;;;;animal";
    public const string Human = "990ae9dd-7a59-4344-afcb-1b7b21368000;mammalia;primates;hominidae;homo;sapiens;human";
    public const string Vehicle = "e2895ed5-780b-48f6-8a11-9e27cb594511;;;;;;vehicle";
    public const string Unknown = "f2efdae9-efb8-48fb-8a91-eccf79ab4ffb;no cv result;no cv result;no cv result;no cv result;no cv result;no cv result";
}

using Atlas.Domain.Taxonomy;

namespace Atlas.Domain.Tests;

/// <summary>A small hand-written taxonomy (fake UUIDs) with every rank, used by the rule tables.</summary>
internal static class TestTaxonomy
{
    public const string Mammalia = "u-mammalia;mammalia;;;;;mammal";
    public const string Carnivora = "u-carnivora;mammalia;carnivora;;;;carnivorous mammal";
    public const string Felidae = "u-felidae;mammalia;carnivora;felidae;;;cat family";
    public const string Panthera = "u-panthera;mammalia;carnivora;felidae;panthera;;panthera species";
    public const string Lion = "u-lion;mammalia;carnivora;felidae;panthera;leo;lion";
    public const string Leopard = "u-leopard;mammalia;carnivora;felidae;panthera;pardus;leopard";
    public const string Leopardus = "u-leopardus;mammalia;carnivora;felidae;leopardus;;leopardus species";
    public const string Ocelot = "u-ocelot;mammalia;carnivora;felidae;leopardus;pardalis;ocelot";
    public const string Canidae = "u-canidae;mammalia;carnivora;canidae;;;canine family";
    public const string Canis = "u-canis;mammalia;carnivora;canidae;canis;;canis species";
    public const string Wolf = "u-wolf;mammalia;carnivora;canidae;canis;lupus;gray wolf";
    public const string Coyote = "u-coyote;mammalia;carnivora;canidae;canis;latrans;coyote";
    /// <summary>Its genus (vulpes) is deliberately absent from the taxonomy.</summary>
    public const string RedFox = "u-redfox;mammalia;carnivora;canidae;vulpes;vulpes;red fox";
    public const string Primates = "u-primates;mammalia;primates;;;;primate";
    public const string Hominidae = "u-hominidae;mammalia;primates;hominidae;;;hominid family";
    public const string Homo = "u-homo;mammalia;primates;hominidae;homo;;homo species";
    public const string Rodentia = "u-rodentia;mammalia;rodentia;;;;rodent";
    public const string Aves = "u-aves;aves;;;;;bird";
    public const string Galliformes = "u-galliformes;aves;galliformes;;;;galliformes order";
    public const string Phasianidae = "u-phasianidae;aves;galliformes;phasianidae;;;pheasant family";
    public const string Turkey = "u-turkey;aves;galliformes;phasianidae;meleagris;gallopavo;wild turkey";

    public static readonly string[] Lines =
    [
        SpecialLabels.Blank, SpecialLabels.Animal, SpecialLabels.Human, SpecialLabels.Vehicle, SpecialLabels.Unknown,
        Mammalia, Carnivora, Felidae, Panthera, Lion, Leopard, Leopardus, Ocelot,
        Canidae, Canis, Wolf, Coyote, RedFox, Primates, Hominidae, Homo, Rodentia,
        Aves, Galliformes, Phasianidae, Turkey,
    ];

    public static readonly SpeciesTaxonomy Instance = SpeciesTaxonomy.FromLines(Lines, "test-taxonomy.txt");
}

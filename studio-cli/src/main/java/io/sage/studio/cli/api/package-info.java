/**
 * The studio's REST answers as the CLI reads them: records with only the fields some command prints or decides on
 * (snake_case on the wire, unknown fields ignored through {@code StudioJson}). They are the CLI's side of the
 * consumer contracts in {@code contracts/pacts/} (see {@code studio-cli/DESIGN.md}); a field added here must be added
 * to the contract test, or the provider may drop it unnoticed.
 */
package io.sage.studio.cli.api;

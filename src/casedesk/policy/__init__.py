"""Pure business rules: no Django imports here, inputs in, decisions out."""

"""CloudFormation: read templates and build one topology per deployment they allow."""

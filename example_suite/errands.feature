# Gherkin test cases for the demo app: pytest-bdd collects them (test_errands_feature.py)
# and every step without a Python definition runs through the computer-use model.
@smoke
Feature: Errands in Gherkin
  Background:
    Given the errands app is open

  Scenario: Add an errand in Gherkin
    When I add an errand "water the garden"
    Then the list shows "water the garden" and the footer says "1 errand left"
